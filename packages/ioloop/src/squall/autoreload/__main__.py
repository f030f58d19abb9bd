"""Entry point of ``python -m squall.autoreload``."""

from squall.autoreload._main import main

if __name__ == "__main__":
    main()
