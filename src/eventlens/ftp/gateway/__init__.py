"""The FTPS gateway: pyftpdlib serving cameras, handing every finished upload to the API over HTTP."""
