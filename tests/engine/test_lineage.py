"""Lineage: edges from requests, parents and children, and a family drawn without duplicates."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from lumatui.api.schema import GenerationRequest
from lumatui.engine.lineage import FamilyNode, Lineage, references
from lumatui.engine.store import JobStore
from tests.stored_jobs import sent_job as make

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from lumatui.engine.jobs import Job


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore.open(tmp_path / "lumatui.db") as opened:
        yield opened


def gid(job: Job) -> str:
    assert job.generation_id is not None
    return job.generation_id


def test_references_name_every_role() -> None:
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    request = GenerationRequest.model_validate(
        {
            "prompt": "p",
            "type": "video",
            "video": {"start_frame": {"generation_id": a}, "end_frame": {"generation_id": b}},
        }
    )
    assert references(request) == [("start_frame", a), ("end_frame", b)]
    edit = GenerationRequest.model_validate(
        {
            "prompt": "p",
            "type": "image_edit",
            "source": {"generation_id": a},
            "image_ref": [{"url": "https://e.com/x.png"}, {"generation_id": c}],
        }
    )
    assert references(edit) == [("source", a), ("image_ref[1]", c)]


def test_a_chain_edit_animate_extend(store: JobStore) -> None:
    image = make(store)
    edit = make(store, type="image_edit", source={"generation_id": gid(image)})
    animate = make(store, type="video", video={"start_frame": {"generation_id": gid(edit)}})
    extend = make(store, type="video", video={"start_frame": {"generation_id": gid(animate)}})
    lineage = Lineage(store)
    assert lineage.ancestors(extend) == [gid(animate), gid(edit), gid(image)]
    assert [j.id for j in lineage.descendants(image)] == [edit.id, animate.id, extend.id]
    assert lineage.roots(extend) == [gid(image)]
    assert lineage.roots(image) == [gid(image)]
    (root,) = lineage.family(animate)
    chain = []
    node: FamilyNode | None = root
    while node is not None:
        chain.append((node.key, node.roles))
        node = node.children[0] if node.children else None
    assert chain == [
        (gid(image), ()),
        (gid(edit), ("source",)),
        (gid(animate), ("start_frame",)),
        (gid(extend), ("start_frame",)),
    ]


def test_several_parents_appear_under_each_without_duplicating_the_subtree(store: JobStore) -> None:
    left, right = make(store), make(store)
    both = make(
        store,
        image_ref=[
            {"generation_id": gid(left)},
            {"generation_id": gid(right)},
            {"generation_id": gid(right)},
        ],
    )
    grandchild = make(store, type="image_edit", source={"generation_id": gid(both)})
    family = Lineage(store).family(grandchild)
    assert [n.key for n in family] == [gid(left), gid(right)]
    under_left, under_right = family[0].children[0], family[1].children[0]
    assert under_left.key == under_right.key == gid(both)
    assert not under_left.repeat and under_right.repeat
    assert under_left.parent_count == 2
    assert under_right.roles == ("image_ref[1]", "image_ref[2]")
    assert [c.key for c in under_left.children] == [gid(grandchild)]
    assert under_right.children == ()


def test_a_parent_made_elsewhere_is_a_root_without_a_job(store: JobStore) -> None:
    foreign = str(uuid.uuid4())
    child = make(store, type="image_edit", source={"generation_id": foreign})
    (root,) = Lineage(store).family(child)
    assert root.key == foreign and root.job is None
    assert [c.key for c in root.children] == [gid(child)]
