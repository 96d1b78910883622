"""exact_silences: the silences that mute exactly the chosen alerts, and no other."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from warroom.model.matchers import matches_all
from warroom.model.silencing import MAX_VALUES, exact_silences


def labels(**values: str) -> dict[str, str]:
    return {"alertname": "SvcDown", **values}


def test_two_of_a_cross_product_stay_two_silences() -> None:
    chosen = [labels(cluster="c1", instance="web-1"), labels(cluster="c2", instance="web-2")]
    silences = exact_silences(chosen)
    assert [[str(m) for m in matchers] for matchers, _ in silences] == [
        ['alertname="SvcDown"', 'cluster="c1"', 'instance="web-1"'],
        ['alertname="SvcDown"', 'cluster="c2"', 'instance="web-2"'],
    ]
    unchosen = [labels(cluster="c1", instance="web-2"), labels(cluster="c2", instance="web-1")]
    for matchers, _ in silences:
        assert not any(matches_all(matchers, other) for other in unchosen)


def test_a_storm_over_one_label_is_one_silence_per_hundred_values() -> None:
    storm = [labels(job="api", instance=f"api-{n}") for n in range(250)]
    silences = exact_silences(storm)
    assert [len(members) for _, members in silences] == [MAX_VALUES, MAX_VALUES, 50]
    assert sorted(i for _, members in silences for i in members) == list(range(250))
    matchers, _ = silences[0]
    assert [str(m) for m in matchers][:1] == ['alertname="SvcDown"']
    assert any(m.is_regex and m.name == "instance" for m in matchers)


def test_values_are_escaped_but_stay_readable() -> None:
    silences = exact_silences([labels(instance="web-1.a"), labels(instance="web-(2)")])
    [(matchers, _)] = silences
    assert 'instance=~"web-\\\\(2\\\\)|web-1\\\\.a"' in [str(m) for m in matchers]
    assert matches_all(matchers, labels(instance="web-(2)"))
    assert not matches_all(matchers, labels(instance="web-1xa"))


names = st.sampled_from(["alertname", "cluster", "instance", "job"])
values = st.sampled_from(["a", "b", "c", "x.y", "a|b"])
label_sets = st.lists(st.dictionaries(names, values, min_size=1), min_size=1, max_size=12)


@given(label_sets, label_sets)
def test_every_chosen_alert_is_muted_and_no_other_alert_at_the_source(
    chosen: list[dict[str, str]], others: list[dict[str, str]]
) -> None:
    silences = exact_silences(chosen, others)
    covered = sorted(i for _, members in silences for i in members)
    assert covered == list(range(len(chosen)))
    for matchers, members in silences:
        for i in members:
            assert matches_all(matchers, chosen[i])
    chosen_sets = [dict(c) for c in chosen]
    for other in others:
        if other in chosen_sets:
            continue
        assert not any(matches_all(m, other) for m, _ in silences), other


def test_an_alert_with_more_labels_is_excluded_by_name() -> None:
    chosen = [labels(job="api")]
    wider = labels(job="api", instance="api-1")
    [(matchers, _)] = exact_silences(chosen, [wider, *chosen])
    assert [str(m) for m in matchers] == ['alertname="SvcDown"', 'job="api"', 'instance=""']
    assert matches_all(matchers, chosen[0]) and not matches_all(matchers, wider)
