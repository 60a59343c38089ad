"""Benchmarks: Genesis side by side with PyTorch (CPU) and a hand-written NumPy floor.

Run every benchmark and write ``bench/RESULTS.md`` (from the repository root)::

    python -m bench                      # full sizes, 5 repeats (a few minutes on 2 cores)
    python -m bench --quick              # smaller sizes, 3 repeats (well under a minute)
    python -m bench --only train_digits --only sched_step --repeats 9
    python -m bench --list               # the registered benchmarks

Layout: ``measure`` (settings, timing, results), ``machine`` (CPU, versions, threads),
``report`` (the Markdown file), ``registry`` (the one list of benchmarks), ``runner`` (runs them
with progress), one module per benchmark (``sched_step``, ``preview_speed``, ``train_digits``,
``train_synthetic``, ``train_cnn``, ``import_time``, ``peak_memory``, ``checkpoint_io``, ``lstm_step``,
``transformer_step``), and the shared workloads ``mlp`` (data and the Genesis/PyTorch training
epochs), ``numpy_mlp`` (the floor), ``breakdown`` (the training epochs timed phase by phase) and
``seq_models`` (the LSTM and transformer language-model steps) and ``cnn`` (LeNet-5 and the small
ResNet, with their synthetic images). See also ``bench/README.md``.

Nothing here is a test: ``tests/test_bench.py`` only runs each benchmark at tiny sizes so that
they keep working; no timing is asserted anywhere.
"""
