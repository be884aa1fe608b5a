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


def test_a_line_naming_no_state_takes_its_page_s_counterparts_and_off_lines_have_none():
    texts = [
        "Kim Jong Un meets Putin in Moscow",
        "The two sides agreed to expand trade.",
        "Share this",
        "Russian and Chinese officials attended; Russia's foreign minister spoke.",
        "A test.",
    ]
    found = CounterpartFinder().for_page(texts, [True, True, False, True, True])
    # RUS is named three times (the title counting two more), CHN once: under the page share, not the page's.
    assert found == [("RUS",), ("RUS",), (), ("CHN", "RUS"), ("RUS",)]
    assert plain_dictionary().for_page(texts, [True, True, False, True, True])[1] == ()  # no page read
    assert CounterpartFinder().for_page(["A test.", "Another."], [True, True]) == [
        (),
        (),
    ]  # a page naming none


def test_north_korea_s_own_names_never_give_south_korea():
    finder = CounterpartFinder()
    assert finder.in_text("the Democratic People's Republic of Korea and the Republic of Korea") == {"KOR"}
    assert finder.in_text("Democratic People\u2019s Republic of Korea (DPRK)") == set()


def test_the_gazetteer_never_lists_north_korea_and_codes_are_well_formed():
    names = {n.lower() for forms in gazetteer().values() for n in forms}
    assert not names & {"north korea", "dprk", "pyongyang", "kim jong un"}
    assert all(code.isupper() and 2 <= len(code) <= 5 for code in gazetteer())


def test_the_guide_s_settled_conventions_un_command_blocs_and_greetings_from_abroad():
    finder = CounterpartFinder()
    assert finder.in_text('the so-called "UN Command" held a meeting') == {"USA"}  # the US-led command
    assert finder.in_text("AUKUS is a threat") == {"AUS", "GBR", "USA"}  # a bloc lists its members
    page = [
        "Kim Jong Un Receives Congratulatory Messages from Different Countries",
        "Greetings came from the President of Laos and the Prime Minister of Cambodia.",
        "Messages were also sent by Vietnamese and Cuban leaders.",
    ]
    found = CounterpartFinder().for_page(page, [True, True, True])
    assert found[0] == ("CUB", "KHM", "LAO", "VNM")  # the title lists every state of the senders
    assert found[1] == ("KHM", "LAO")
