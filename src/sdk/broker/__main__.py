import sys

from sdk.broker._cli import main  # absolute: child processes run this file outside its package

if __name__ == "__main__":  # child processes re-run __main__ under another name
    sys.exit(main())
