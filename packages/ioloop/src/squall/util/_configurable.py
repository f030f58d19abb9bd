"""The ``Configurable`` pattern: a base class whose constructor picks a subclass."""

from __future__ import annotations

from typing import Any, ClassVar

from squall.util._misc import import_object


class Configurable:
    """Base class whose constructor returns an instance of a configured subclass.

    Follows ``tornado.util.Configurable``: a hierarchy's root overrides
    :meth:`configurable_base` and :meth:`configurable_default`; subclasses put
    their construction logic in :meth:`initialize` (``__init__`` is not used).
    :meth:`configure` selects the implementation (and keyword arguments merged
    into every construction) for the whole hierarchy.
    """

    __impl_class: ClassVar[type[Configurable] | None] = None
    __impl_kwargs: ClassVar[dict[str, Any] | None] = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        base = cls.configurable_base()
        init_kwargs: dict[str, Any] = {}
        if cls is base:
            impl = cls.configured_class()
            if base.__impl_kwargs:
                init_kwargs.update(base.__impl_kwargs)
        else:
            impl = cls
        init_kwargs.update(kwargs)
        if impl.configurable_base() is not base:
            # The implementation is itself the root of another hierarchy.
            return impl(*args, **init_kwargs)
        instance = super().__new__(impl)
        instance.initialize(*args, **init_kwargs)
        return instance

    @classmethod
    def configurable_base(cls) -> type[Configurable]:
        """Return the root class of the configurable hierarchy (override it)."""
        raise NotImplementedError()

    @classmethod
    def configurable_default(cls) -> type[Configurable]:
        """Return the implementation used when none was configured (override it)."""
        raise NotImplementedError()

    def _initialize(self) -> None:
        pass

    initialize: Any = _initialize
    """Initialise an instance; takes the constructor's arguments (override it)."""

    @classmethod
    def configure(cls, impl: type[Configurable] | str | None, **kwargs: Any) -> None:
        """Choose the implementation class for this hierarchy.

        Args:
            impl: a subclass, its dotted name, or ``None`` for the default.
            **kwargs: keyword arguments passed to every later construction.

        Raises:
            ValueError: if ``impl`` is not a subclass of the calling class.
        """
        base = cls.configurable_base()
        if isinstance(impl, str):
            impl = import_object(impl)
        if impl is not None and not (isinstance(impl, type) and issubclass(impl, cls)):
            raise ValueError(f"Invalid subclass of {cls}")
        base.__impl_class = impl
        base.__impl_kwargs = kwargs

    @classmethod
    def configured_class(cls) -> type[Configurable]:
        """Return the currently configured implementation class."""
        base = cls.configurable_base()
        if base.__dict__.get("_Configurable__impl_class") is None:
            base.__impl_class = cls.configurable_default()
        impl = base.__impl_class
        assert impl is not None
        return impl

    @classmethod
    def _save_configuration(cls) -> tuple[type[Configurable] | None, dict[str, Any] | None]:
        base = cls.configurable_base()
        return (base.__dict__.get("_Configurable__impl_class"), base.__impl_kwargs)

    @classmethod
    def _restore_configuration(
        cls, saved: tuple[type[Configurable] | None, dict[str, Any] | None]
    ) -> None:
        base = cls.configurable_base()
        base.__impl_class = saved[0]
        base.__impl_kwargs = saved[1]
