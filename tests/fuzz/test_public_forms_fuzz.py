"""Hypothesis fills in the public questionnaire forms (web survey `/s/<token>`, training
evaluation `/t/<token>`) as a hostile browser would: any values in any fields, repeated
fields, a missing or forged CSRF token, a foreign Origin, made-up links. Every answer is an
HTML page with a 2xx or 4xx status; never a 500, never a traceback in the page or the log.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

import training_survey
import web_survey
from tests.fuzz.conftest import TEXT

CASES = int(os.environ.get("FUZZ_CASES", "200"))
PUBLIC = {"RATE_LIMIT_PUBLIC": "100000/minute"}
# The questions' keys of both questionnaires, and fields no form has.
KEYS = ["csat", "nps", "ces", "comment", "communication", "clarity", "interaction", "overall"]
FIELDS = st.sampled_from([*KEYS, "recommend", "lang", "csrf_token", "x"]) | TEXT
VALUES = st.sampled_from(["1", "3", "5", "10", "0", "-1", "3.5", "", " 4", "5\n"]) | TEXT


@st.composite
def forms(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Form fields as a browser posts them: a list of pairs, names may repeat. A third are
    whole plausible answers, so that the thank-you page and the double-submit path are reached."""
    if draw(st.integers(0, 2)) == 0:
        pairs = [(key, str(draw(st.integers(1, 5)))) for key in KEYS if key != "comment"]
        return pairs + [("comment", draw(TEXT))]
    pairs = draw(st.lists(st.tuples(FIELDS, VALUES), max_size=10))
    if draw(st.booleans()):
        keys = draw(st.sets(st.sampled_from(KEYS)))
        pairs += [(key, str(draw(st.integers(0, 10)))) for key in keys]
    return pairs


def _links(make_batch: Callable[[], list[str]]) -> Iterator[str]:
    while True:
        yield from make_batch()


def _web_links(client, key: dict[str, str]) -> Iterator[str]:
    counter = iter(range(10**9))

    def batch() -> list[str]:
        body = {
            "invitations": [
                {"channel": "chat", "interaction_id": f"F{next(counter)}", "agent": "A1"}
                for _ in range(50)
            ]
        }
        response = client.post("/api/v1/invitations:batch", json=body, headers=key)
        assert response.status_code in (200, 201), response.get_json()
        return [f"/s/{item['invitation']['token']}" for item in response.get_json()["results"]]

    return _links(batch)


def _training_links(client, admin: dict[str, str], writer: dict[str, str]) -> Iterator[str]:
    trainer = {"id": "TR1", "name": "Li Wei", "team": "onboarding"}
    assert client.post("/api/v1/trainers", json=trainer, headers=admin).status_code == 201
    counter = iter(range(10**9))

    def batch() -> list[str]:
        body = {
            "trainer_id": "TR1",
            "topic": "Handling refunds",
            "held_at": "2026-10-15T09:00:00+08:00",
            "language": "en-US",
            "trainees": [f"u{next(counter)}" for _ in range(100)],
        }
        response = client.post("/api/v1/sessions", json=body, headers=writer)
        assert response.status_code == 201, response.get_json()
        return [urlpath(link["url"]) for link in response.get_json()["links"]]

    return _links(batch)


def urlpath(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[1]


@pytest.fixture(params=["web", "training"])
def public_form(request, config, api_key):
    if request.param == "web":
        client = web_survey.create_app({**config, **PUBLIC}).test_client()
        return client, _web_links(client, api_key("write"))
    client = training_survey.create_app({**config, **PUBLIC}).test_client()
    return client, _training_links(client, api_key("admin"), api_key("write"))


def test_public_forms_filled_at_random_answer_a_page_never_an_error(public_form, logged_errors):
    client, links = public_form
    seen: Counter[int] = Counter()

    @given(
        form=forms(),
        csrf=st.sampled_from(["real", "real", "real", "forged", "missing"]),
        link=st.sampled_from(["fresh", "fresh", "fresh", "made-up"]),
        query=st.none()
        | st.sampled_from(["?lang=en-US", "?lang=zh-CN"])
        | TEXT.map("?lang=".__add__),
        origin=st.none() | st.sampled_from(["https://evil.example", "null"]),
    )
    @settings(
        max_examples=CASES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fill_in(form, csrf, link, query, origin):
        path = next(links)
        if link == "made-up":
            path = path[:3] + "A" * 40  # /s/ or /t/
        page = client.get(path)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        data = [pair for pair in form if pair[0] != "csrf_token"]
        if csrf == "real" and token:
            data.append(("csrf_token", token.group(1)))
        elif csrf == "forged":
            data.append(("csrf_token", "forged"))
        headers = {"Origin": origin} if origin else {}
        logged_errors.clear()
        response = client.post(path + (query or ""), data=MultiDict(data), headers=headers)
        seen[response.status_code] += 1
        html = response.get_data(as_text=True)
        assert response.status_code < 500, html[:500]
        assert response.mimetype == "text/html" and "Traceback" not in html
        assert not logged_errors, [r.getMessage() for r in logged_errors]

    fill_in()
    print(f"public form: {sum(seen.values())} posts, statuses {dict(seen)}")
    assert seen[200] > 0  # some reached the thank-you page
