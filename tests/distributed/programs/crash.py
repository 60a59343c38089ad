"""A job whose rank 1 fails after a collective (tests/distributed/test_two_processes.py): the
whole job must end, non-zero, with rank 1's traceback, instead of rank 0 waiting forever."""
import genesis
import genesis.distributed as dist

dist.init_process_group()
rank = dist.get_rank()
total = genesis.ones(3) * (rank + 1)
dist.all_reduce(total)
print(f"rank {rank} sum {total.tolist()}", flush=True)


def next_step(rank):
    if rank == 1:
        raise ZeroDivisionError("rank 1 cannot go on")


next_step(rank)
dist.barrier()  # rank 0 waits here for a rank that will never come
print(f"rank {rank} got past the barrier", flush=True)
