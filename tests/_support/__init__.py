"""What several test suites share: free ports, real subprocesses, fake clocks, users' project
folders. Plain modules, imported as ``_support.<module>``; the fixtures built on them live in
``tests/conftest.py``."""
