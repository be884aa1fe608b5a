from nkdiplomacy.schema import event_type_names, event_types, plover_codes

GUIDE_TYPES = ("meeting", "cooperation", "sanctions", "military", "tension", "domestic", "analysis")


def test_schema_has_the_guides_event_types_in_order():
    assert event_type_names() == GUIDE_TYPES


def test_every_event_type_has_a_description():
    assert all(len(e.description) > 20 for e in event_types())


def test_plover_codes_follow_the_guide():
    assert plover_codes("meeting") == ("CONSULT",)
    assert plover_codes("sanctions") == ("SANCTION",)
    assert "THREATEN" in plover_codes("military")
    assert plover_codes("analysis") == ()
