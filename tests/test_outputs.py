"""HepMC3 and ROOT outputs of a run, read back by pyhepmc and uproot."""

import numpy as np
import pyarrow.parquet as pq

from alpsim.cli import main


def test_run_writes_hepmc3_matching_parquet(default_card, write_card, tmp_path):
    import pyhepmc

    card = write_card(default_card.read_text() + '\n[output]\ntruth = "full"\n')
    pq_path, hep = tmp_path / "s.parquet", tmp_path / "s.hepmc3.gz"
    assert (
        main(["run", str(card), "-n", "200", "-o", str(pq_path), "--hepmc3", str(hep), "-q"]) == 0
    )
    table = pq.read_table(pq_path)
    with pyhepmc.open(hep) as f:
        events = list(f)
    assert len(events) == 200
    first = table["particles"][0].as_py()
    ev = events[0]
    assert ev.event_number == table["event_number"][0].as_py()
    assert [p.pid for p in ev.particles] == [p["pdg"] for p in first]
    np.testing.assert_allclose([p.momentum.e for p in ev.particles], [p["E"] for p in first])
    assert [p.status for p in ev.particles] == [p["status"] for p in first]
    assert ev.run_info.tools[0].name == "alpsim"
    assert ev.run_info.weight_names[0] == "nominal"


def test_run_writes_root_tree(default_card, tmp_path):
    import uproot

    root = tmp_path / "s.root"
    pq_path = tmp_path / "s.parquet"
    assert (
        main(["run", str(default_card), "-n", "300", "-o", str(pq_path), "--root", str(root), "-q"])
        == 0
    )
    table = pq.read_table(pq_path)
    with uproot.open(root) as f:
        tree = f["events"]
        assert tree.num_entries == 300
        np.testing.assert_array_equal(tree["Mbc"].array(library="np"), table["Mbc"].to_numpy())
        px = tree["particles_px"].array(library="ak")
        assert len(px[0]) == len(table["particles"][0].as_py())
        np.testing.assert_allclose(
            np.asarray(px[0]), [p["px"] for p in table["particles"][0].as_py()]
        )


def test_failed_hepmc3_path_leaves_nothing(default_card, tmp_path):
    code = main(
        [
            "run",
            str(default_card),
            "-n",
            "10",
            "-o",
            str(tmp_path / "a.parquet"),
            "--hepmc3",
            str(tmp_path / "nodir" / "a.hepmc3"),
            "-q",
        ]
    )
    assert code == 2
    assert list(tmp_path.iterdir()) == []
