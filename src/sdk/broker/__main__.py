from sdk._service import exit_now
from sdk.broker._cli import main  # absolute: child processes run this file outside its package

if __name__ == "__main__":  # child processes re-run __main__ under another name
    # The broker has stopped and closed its store: nothing is left to write, so the process
    # ends without joining threads that may still be blocked (``sdk._service``).
    exit_now(main())
