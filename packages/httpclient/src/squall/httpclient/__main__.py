"""``python -m squall.httpclient URL``: print the body of URL (see ``main``)."""

from squall.httpclient._main import main

main()
