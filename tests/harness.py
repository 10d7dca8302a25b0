"""The tests evaluate the program with the same machinery as the offline plan command."""

from offline.evaluate import *  # noqa: F401,F403
from offline.evaluate import ROOT_DIR, Deployment, contains_secret, is_secret, reveal  # noqa: F401
