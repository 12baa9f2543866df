"""`python -m benchmarks`: run every benchmark in this folder, one after the other."""

import sys

from benchmarks import flagship

flagship.main(sys.argv[1:])
