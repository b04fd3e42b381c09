import sys

from sdk.bench._cli import main  # absolute: child processes run this file outside its package

if __name__ == "__main__":
    sys.exit(main())
