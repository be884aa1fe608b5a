"""Counterparts from the gazetteer and the page (data/LABELING.md section 5)."""

from __future__ import annotations

import pytest

from nkdiplomacy.text.counterparts import CounterpartFinder, gazetteer, plain_dictionary


@pytest.mark.parametrize(
    "text, codes",
    [
        ("Kim Jong Un met Vladimir Putin in Vladivostok.", {"RUS"}),
        ("The U.S.-ROK joint drills are a rehearsal for invasion.", {"KOR", "USA"}),
        ("Pyongyang sent greetings to the Kremlin and to Beijing.", {"CHN", "RUS"}),
        ("The launch violated U.N. Security Council resolutions.", {"UN"}),
        ("North Korea fired a missile into the Sea of Japan.", set()),  # geography, not a party
        ("The 8th Party Congress opened in Pyongyang.", set()),
        ("Let us talk about it.", set()),  # "us" is no acronym
        ("inter-Korean liaison office", {"KOR"}),
    ],
)
def test_names_of_every_kind_point_to_their_code(text, codes):
    assert CounterpartFinder().in_text(text) == codes


def test_a_page_reference_takes_the_page_s_main_counterpart_and_off_lines_have_none():
    texts = [
        "Kim Jong Un meets Putin in Moscow",
        "The two sides agreed to expand trade.",
        "Share this",
        "A test.",
    ]
    found = CounterpartFinder().for_page(texts, [True, True, False, True])
    assert found == [("RUS",), ("RUS",), (), ()]
    assert (
        plain_dictionary().for_page(texts, [True, True, False, True])[1] == ()
    )  # the baseline reads no page


def test_the_gazetteer_never_lists_north_korea_and_codes_are_well_formed():
    names = {n.lower() for forms in gazetteer().values() for n in forms}
    assert not names & {"north korea", "dprk", "pyongyang", "kim jong un"}
    assert all(code.isupper() and 2 <= len(code) <= 5 for code in gazetteer())
