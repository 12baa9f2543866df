"""`python -m benchmarks`: every benchmark, in one run, printing ratios.

Absolute times on shared machines are noise; each figure is a ratio against a baseline
measured in the same run (raw PyTorch loop, matmul peak, one worker).
"""

import platform
import sys

import torch

from benchmarks import datagen, flagship, hardware_use, scaling, ssm_speed, trainer_overhead

print(f"machine: {platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, "
      f"python {platform.python_version()}, torch {torch.__version__}")
trainer_overhead.main()
hardware_use.main()
scaling.main()
datagen.main()
ssm_speed.main([])
flagship.main(sys.argv[1:])
