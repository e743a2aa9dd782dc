"""The store's record queue against a plain-list model of its rules (cost when full: bench_store_queue)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.store.queue import KEEP, OUTPUT_ONLY, SNAPSHOT, Entry, RecordQueue

Op = tuple[str, int]


class Model:
    """The rules as a list: FIFO; over the limit drop the oldest snapshot, else the oldest output-only record,
    else the oldest; a put-back record is in front again and no longer a preferred victim."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.q: list[tuple[int, int]] = []  # (item, rank)
        self.dropped = 0

    def put(self, item: int, rank: int) -> bool:
        self.q.append((item, rank))
        if len(self.q) <= self.limit:
            return False
        for want in (SNAPSHOT, OUTPUT_ONLY):
            for i, (_, rank_i) in enumerate(self.q):
                if rank_i == want:
                    del self.q[i]
                    self.dropped += 1
                    return True
        del self.q[0]
        self.dropped += 1
        return True

    def take(self, n: int) -> list[tuple[int, int]]:
        out, self.q = self.q[:n], self.q[n:]
        return out

    def put_back(self, taken: list[tuple[int, int]]) -> None:
        self.q = [(item, KEEP) for item, _ in taken] + self.q


ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.sampled_from([SNAPSHOT, OUTPUT_ONLY, KEEP, KEEP])),
        st.tuples(st.just("take"), st.integers(1, 5)),
        st.tuples(st.just("done"), st.just(0)),
        st.tuples(st.just("fail"), st.just(0)),
    ),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(limit=st.integers(1, 8), script=ops)
def test_queue_follows_the_model(limit: int, script: list[Op]) -> None:
    q, m = RecordQueue(limit), Model(limit)
    taken: list[Entry] = []
    m_taken: list[tuple[int, int]] = []
    for k, (op, arg) in enumerate(script):
        if op == "put":
            assert q.put("rec", k, arg) == m.put(k, arg)
        elif op == "take" and not taken:  # one batch in flight at a time, as the writer does
            taken, m_taken = q.take(arg), m.take(arg)
            assert [e.item for e in taken] == [item for item, _ in m_taken]
        elif op == "done":
            taken, m_taken = [], []
        elif op == "fail" and taken:
            q.put_back(taken)
            m.put_back(m_taken)
            taken, m_taken = [], []
        assert [item for _, item in q.items()] == [item for item, _ in m.q]
        assert len(q) == len(m.q) and q.dropped == m.dropped


def test_dropped_records_are_compacted_away() -> None:
    q = RecordQueue(10)
    for i in range(100_000):
        q.put("snapshot" if i % 2 else "step", i, SNAPSHOT if i % 2 else KEEP)
    assert len(q) == 10 and q.dropped == 99_990
    assert len(q._q) <= 10 + 1025  # marks of dropped records do not pile up while nothing is written
