from django_attentive.segments import count_segments


def test_plain_text_is_one_gsm7_segment_up_to_160():
    count = count_segments("a" * 160, brand_prefix="")
    assert (count.encoding, count.units, count.segments) == ("GSM-7", 160, 1)


def test_161_gsm7_characters_take_two_segments_of_153():
    assert count_segments("a" * 161, brand_prefix="").segments == 2
    assert count_segments("a" * 306, brand_prefix="").segments == 2
    assert count_segments("a" * 307, brand_prefix="").segments == 3


def test_extended_characters_cost_two_septets():
    count = count_segments("€" * 80, brand_prefix="")
    assert (count.encoding, count.units, count.segments) == ("GSM-7", 160, 1)
    assert count_segments("€" * 81, brand_prefix="").segments == 2


def test_an_emoji_forces_ucs2_and_is_named():
    count = count_segments("Your order shipped 📦", brand_prefix="")
    assert count.encoding == "UCS-2"
    assert count.ucs2_character == "📦"
    assert count.units == 21  # the emoji is a surrogate pair
    assert count.segments == 1


def test_ucs2_splits_at_70_then_67():
    assert count_segments("ж" * 70, brand_prefix="").segments == 1
    assert count_segments("ж" * 71, brand_prefix="").segments == 2
    assert count_segments("ж" * 135, brand_prefix="").segments == 3


def test_brand_prefix_setting_is_counted(attentive):
    attentive(BRAND_PREFIX="Acme: ")
    count = count_segments("a" * 155)
    assert count.characters == 161
    assert count.segments == 2


def test_empty_body_is_zero_segments():
    assert count_segments("", brand_prefix="").segments == 0
