"""Bad cards fail before any work, naming the field, the value and what is allowed."""

import pytest

from alpsim.card import load_card
from alpsim.cli import main
from alpsim.toml_fields import CardError

from .conftest import BASE_CARD, coupling_card_text


def test_shipped_cards_are_valid():
    import tomllib

    from .conftest import CARDS

    run_cards = [p for p in CARDS.glob("*.toml") if "run" in tomllib.loads(p.read_text())]
    assert run_cards
    for path in run_cards:
        load_card(path)


BAD = [
    ("mass = 1.0", "mass = 4.9", "alp.mass", "kinematically forbidden"),
    ("mass = 1.0", "mass = -1.0", "alp.mass", "must be >"),
    ("mass = 1.0", 'mass = "heavy"', "alp.mass", "must be a number"),
    ("ctau = 1.0", "ctau = nan", "alp.ctau", "finite"),
    ("ctau = 1.0", "ctau = 1.0\nwidth = 1e-9", "alp.ctau", "not both"),
    ("events = 1000", "events = 0", "run.events", ">= 1"),
    ("events = 1000", "events = 1.5", "run.events", "integer"),
    ("seed = 1", "seed = 1\nsede = 2", "run.sede", "unknown key"),
    ('name = "B+ -> K+ a"', 'name = "B -> X a"', "channel.name", "choose one of"),
    ('"gamma gamma" = 1.0', '"gamma gamma" = 0.7', "alp.decays", "sum to 1"),
    ('"gamma gamma" = 1.0', '"gluons" = 1.0', "alp.decays.gluons", "not a final state"),
    ("mass = 1.0", "mass = 0.1", 'alp.decays."mu+ mu-"', "threshold"),
    ('detector = "belle2"', 'detector = "lep"', "run.detector", "no shipped detector card"),
    ("[channel]", "[chanel]", "chanel", "unknown key"),
]


@pytest.mark.parametrize("old, new, field, phrase", BAD)
def test_bad_card_message(write_card, old, new, field, phrase):
    text = BASE_CARD.replace(old, new)
    if "threshold" in phrase:
        text = text.replace('"gamma gamma" = 1.0', '"mu+ mu-" = 1.0')
    assert text != BASE_CARD or phrase == "", "test card unchanged"
    with pytest.raises(CardError) as err:
        load_card(write_card(text))
    message = str(err.value)
    assert f"'{field}'" in message
    assert phrase in message


def test_syntax_error_names_file(write_card):
    path = write_card(BASE_CARD + "\n[alp\n")
    with pytest.raises(CardError, match="not valid TOML"):
        load_card(path)


def test_bad_card_exit_code_two_and_no_output(write_card, tmp_path, capsys):
    out = tmp_path / "out.parquet"
    code = main(
        ["run", str(write_card(BASE_CARD.replace("mass = 1.0", "mass = 6.0"))), "-o", str(out)]
    )
    assert code == 2
    assert "alp.mass" in capsys.readouterr().err
    assert not out.exists()
    assert list(tmp_path.glob("*.parquet*")) == []


def test_missing_card_file_exit_two(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "no such card file" in capsys.readouterr().err


def test_bad_detector_card_names_detector_field(write_card, tmp_path):
    from .conftest import CARDS

    det = (
        (CARDS / "belle2.toml").read_text().replace("constant_term = 0.0134", "constant_term = -1")
    )
    (tmp_path / "mydet.toml").write_text(det)
    path = write_card(BASE_CARD.replace('detector = "belle2"', 'detector = "mydet.toml"'))
    with pytest.raises(CardError, match=r"calorimeter\.constant_term.*must be >= 0"):
        load_card(path)


def test_unwritable_output_exit_two(default_card, tmp_path, capsys):
    assert (
        main(
            [
                "run",
                str(default_card),
                "-n",
                "10",
                "-o",
                str(tmp_path / "missing_dir" / "x.parquet"),
            ]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err


def test_bad_event_count_argument_exit_two(default_card):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(default_card), "-n", "many"])
    assert exc.value.code == 2


COUPLING_CARD = coupling_card_text('g_agg = 1e-4\nrunning = "none"')


def test_coupling_card_gives_model_lifetime(write_card):
    from alpsim.generator.alp import AlpModel, Couplings

    card = load_card(write_card(COUPLING_CARD))
    model = AlpModel.from_couplings(1.0, Couplings.from_g_agamma(1e-4, running="none"))
    assert card.alp.ctau == pytest.approx(model.ctau, rel=1e-12)
    assert card.alp.decays["gamma gamma"] > 0.99
    assert sum(card.alp.decays.values()) == pytest.approx(1.0, abs=1e-12)
    assert card.alp.generated_branching_fraction == pytest.approx(
        sum(model.branching_fractions[k] for k in card.alp.decays), rel=1e-12
    )


@pytest.mark.parametrize(
    "couplings, field, phrase",
    [
        ("g_agg = 1e-4\nC_BB = 1.0", "alp.couplings.g_agg", "cannot be combined"),
        ("g_agg = 0.0", "alp.couplings", "all couplings are zero"),
        ("g_agg = 1e-4\nm_chi = -1.0", "alp.couplings.m_chi", "must be >="),
        ("g_agg = 1e-4\nc_gluon = 1.0", "alp.couplings.c_gluon", "unknown key"),
        ("g_agg = 1e-4\nLambda = 0.0", "alp.couplings.Lambda", "must be >="),
    ],
)
def test_bad_couplings(write_card, couplings, field, phrase):
    text = COUPLING_CARD.replace("g_agg = 1e-4", couplings)
    with pytest.raises(CardError) as err:
        load_card(write_card(text))
    assert field in str(err.value) and phrase in str(err.value)


def test_generate_subset_normalisation(write_card):
    text = COUPLING_CARD.replace("g_agg = 1e-4", "g_agg = 1e-4\nc_mumu = 1.0").replace(
        "[alp.couplings]", 'generate = ["mu+ mu-"]\n[alp.couplings]'
    )
    card = load_card(write_card(text))
    assert card.alp.decays == {"mu+ mu-": 1.0}
    br = card.alp.branching_fractions
    assert card.alp.generated_branching_fraction == pytest.approx(br["mu+ mu-"], rel=1e-12)
    assert 0 < br["mu+ mu-"] < 1


def test_tau_pairs_expand_into_decay_modes(write_card):
    text = BASE_CARD.replace("mass = 1.0", "mass = 4.0").replace(
        '"gamma gamma" = 1.0', '"gamma gamma" = 0.5\n"tau+ tau-" = 0.5'
    )
    card = load_card(write_card(text))
    tau_modes = [k for k in card.alp.decays if k.startswith("tau+ tau- [")]
    assert len(tau_modes) > 1
    assert sum(card.alp.decays.values()) == pytest.approx(1.0)
    # not every τ decay is generated: the generated BR is below 1 and carried to the yield
    assert 0.5 < card.alp.generated_branching_fraction < 1.0


def test_tau_modes_restrict_the_expansion(write_card):
    text = BASE_CARD.replace("mass = 1.0", 'mass = 4.0\ntau_modes = ["pi nu", "mu nu nu"]')
    text = text.replace('"gamma gamma" = 1.0', '"tau+ tau-" = 1.0')
    card = load_card(write_card(text))
    assert len(card.alp.decays) == 4
    from alpsim.generator.tau_decays import tau_branching_fractions

    bf = tau_branching_fractions()
    assert card.alp.generated_branching_fraction == pytest.approx(
        (bf["pi nu"] + bf["mu nu nu"]) ** 2
    )
    bad = text.replace('"pi nu"', '"kaon nu"')
    with pytest.raises(CardError, match=r"alp\.tau_modes"):
        load_card(write_card(bad))
