import os
import sys

from sdk.broker._cli import main  # absolute: child processes run this file outside its package

if __name__ == "__main__":  # child processes re-run __main__ under another name
    code = main()
    # The broker has stopped and closed its store: nothing is left to write. A connection
    # attempt to a database going away at the same moment (a whole stack stopping) can leave
    # a resolver thread blocked for many seconds, which a normal exit would wait for, past a
    # container's stop grace period. So the process ends without waiting for such threads.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
