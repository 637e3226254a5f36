"""What a run trains on: stable held-out split, new + replayed pairs, length-grouped batches, label padding."""

from __future__ import annotations

from resolver_core.prompt import IGNORE_INDEX, EncodedExample
from trainer.data import batch_plan, collate, is_held_out, plan_dataset, replayed_pairs


def pairs(count: int, start: int = 1) -> list[dict]:
    return [{"id": i, "issue": f"issue {i}", "resolution": f"fix {i}"} for i in range(start, start + count)]


def test_held_out_split_depends_only_on_pair_id_and_seed() -> None:
    first = [p["id"] for p in pairs(200) if is_held_out(p["id"], 0.1, seed=0)]
    again = [p["id"] for p in pairs(300) if is_held_out(p["id"], 0.1, seed=0) and p["id"] <= 200]
    assert first == again
    assert 5 <= len(first) <= 40
    assert first != [p["id"] for p in pairs(200) if is_held_out(p["id"], 0.1, seed=1)]


def test_first_run_trains_every_pair_outside_the_held_out_split() -> None:
    plan = plan_dataset(pairs(30), parent_pair_ids=None, replay_ratio=1.0, eval_fraction=0.2, seed=0)
    assert plan.older == []
    assert sorted(p["id"] for p in plan.new + plan.eval) == list(range(1, 31))
    assert not {p["id"] for p in plan.new} & {p["id"] for p in plan.eval}


def test_incremental_epochs_repeat_new_pairs_and_rehearse_the_same_older_sample() -> None:
    plan = plan_dataset(pairs(40), set(range(1, 31)), replay_ratio=0.5, eval_fraction=0.0, seed=0, new_repeats=3)
    assert [p["id"] for p in plan.new] == list(range(31, 41)) and len(plan.older) == 30
    indices = plan.epoch_indices()
    assert sorted(i for i in indices if i < 10) == sorted(list(range(10)) * 3)
    assert len([i for i in indices if i >= 10]) == 5
    batches = batch_plan(plan, [10] * len(plan.pool), batch_size=5, epochs=4)
    assert len(replayed_pairs(plan, batches)) == 5  # the same five, every epoch


def test_replay_ratio_zero_rehearses_every_older_pair() -> None:
    plan = plan_dataset(pairs(40), set(range(1, 31)), replay_ratio=0.0, eval_fraction=0.0, seed=0)
    batches = batch_plan(plan, [10] * len(plan.pool), batch_size=8, epochs=2)
    assert [p["id"] for p in replayed_pairs(plan, batches)] == list(range(1, 31))


def test_replay_is_capped_by_the_older_pairs_available() -> None:
    plan = plan_dataset(pairs(12), parent_pair_ids={1, 2, 3, 4}, replay_ratio=5.0, eval_fraction=0.0, seed=0)
    assert len(plan.new) == 8 and plan.replay_per_epoch == 4
    assert sorted(plan.epoch_indices()[8:]) == [8, 9, 10, 11]


def test_a_pair_approved_late_under_an_old_id_counts_as_new() -> None:
    known = {1, 2, 3, 5, 6, 7, 8, 9, 10}
    plan = plan_dataset(pairs(10), parent_pair_ids=known, replay_ratio=1.0, eval_fraction=0.0, seed=0)
    assert [p["id"] for p in plan.new] == [4]


def test_nothing_new_since_the_parent_plans_no_training() -> None:
    plan = plan_dataset(pairs(10), parent_pair_ids=set(range(1, 11)), replay_ratio=1.0, eval_fraction=0.1, seed=0)
    assert plan.new == []


def test_batch_plan_is_deterministic_covers_every_epoch_and_groups_lengths() -> None:
    plan = plan_dataset(pairs(32), parent_pair_ids=None, replay_ratio=0.0, eval_fraction=0.0, seed=7)
    lengths = [10 + (i * 37) % 90 for i in range(32)]
    batches = batch_plan(plan, lengths, batch_size=8, epochs=3)
    assert batches == batch_plan(plan, lengths, batch_size=8, epochs=3)
    assert len(batches) == 12
    for epoch in range(3):
        assert sorted(i for batch in batches[epoch * 4 : epoch * 4 + 4] for i in batch) == list(range(32))
    # sorted within a window of 4 batches: each batch spans a narrow band of lengths
    assert max(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) < 60


def test_collate_pads_labels_with_ignore_index_and_keeps_the_end_of_turn_label() -> None:
    eot = 2  # SmolLM2: pad == eos == end of turn
    short = EncodedExample(input_ids=[5, 6, 7, eot], labels=[IGNORE_INDEX, IGNORE_INDEX, 7, eot])
    long = EncodedExample(input_ids=[5, 6, 8, 9, 10, eot], labels=[IGNORE_INDEX, IGNORE_INDEX, 8, 9, 10, eot])
    batch = collate([short, long], pad_id=eot)
    assert batch["input_ids"].tolist() == [[5, 6, 7, eot, eot, eot], [5, 6, 8, 9, 10, eot]]
    assert batch["labels"].tolist()[0] == [IGNORE_INDEX, IGNORE_INDEX, 7, eot, IGNORE_INDEX, IGNORE_INDEX]
    assert batch["labels"].tolist()[1][-1] == eot
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1, 0, 0], [1] * 6]
