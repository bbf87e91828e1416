"""The flow engine on every step kind and transition, plus random event sequences."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.content import load_content
from flows.engine import advance
from flows.model import (
    Begin,
    Event,
    Flow,
    FlowState,
    Kind,
    NotText,
    Phase,
    Press,
    ShowAnswers,
    Step,
    Text,
)
from flows.replies import ClearButtons, Reply
from flows.review import review_action

CONTENT = load_content(["en"], "en")
STRINGS = CONTENT.strings("en")
REFLECTION = CONTENT.flows["reflection"]

# A flow with every kind of step, reusing the reflection's strings.
ALL_KINDS = Flow(
    id="kinds",
    code="kd",
    strings="reflection",
    steps=(
        Step("pick", "reflection.q1.prompt", Kind.CHOICE, "reflection.q1.label", ("yes", "no")),
        Step(
            "why",
            "reflection.q1.why",
            Kind.TEXT,
            "reflection.q1.why_label",
            skippable=True,
            min_length=3,
            max_length=20,
            when=("pick", ("no",)),
        ),
        Step("rate", "reflection.q2.prompt", Kind.SCALE, "reflection.q2.label"),
        Step("ok", "reflection.q3.prompt", Kind.YESNO, "reflection.q3.label"),
    ),
)


def run(
    flow: Flow, *events: Event, state: FlowState | None = None
) -> tuple[FlowState, list[object]]:
    current = state or FlowState(flow.id)
    replies: list[object] = []
    for event in events:
        current, out = advance(flow, current, event, STRINGS)
        replies = list(out)
    return current, replies


def texts(replies: list[object]) -> str:
    return "\n".join(r.html for r in replies if isinstance(r, Reply))


def test_begin_shows_the_intro_and_the_first_question() -> None:
    state, replies = run(ALL_KINDS, Begin())
    assert state.step == "pick"
    assert state.started
    assert "Five questions" in texts(replies)


def test_choice_then_conditional_follow_up() -> None:
    state, _ = run(ALL_KINDS, Begin(), Press("c", "pick", "no"))
    assert state.step == "why"
    state, _ = run(ALL_KINDS, Begin(), Press("c", "pick", "yes"))
    assert state.step == "rate"  # "why" is only asked after "no"


def test_text_is_gathered_until_done() -> None:
    state, replies = run(ALL_KINDS, Begin(), Press("c", "pick", "no"), Text("abc"), Text("def"))
    assert state.draft == "abc\ndef"
    assert "7 characters" in texts(replies)
    state, _ = run(ALL_KINDS, Press("d", "why"), state=state)
    assert state.answers["why"] == "abc\ndef"
    assert state.step == "rate"


def test_text_over_the_limit_is_refused_and_echoed() -> None:
    start, _ = run(ALL_KINDS, Begin(), Press("c", "pick", "no"))
    state, replies = run(ALL_KINDS, Text("x" * 21), state=start)
    assert state == start
    assert "21 characters" in texts(replies)
    assert "x" * 21 in texts(replies)


def test_text_under_the_minimum_is_refused() -> None:
    state, replies = run(
        ALL_KINDS, Begin(), Press("c", "pick", "no"), Text("ab"), Press("d", "why")
    )
    assert state.step == "why"
    assert "at least 3" in texts(replies)


def test_scale_and_yes_no() -> None:
    state, _ = run(ALL_KINDS, Begin(), Press("c", "pick", "yes"), Press("c", "rate", "4"))
    assert state.answers["rate"] == "4"
    state, _ = run(ALL_KINDS, Press("c", "ok", "maybe"), state=state)
    assert state.step == "ok"  # not a value of yes/no
    state, _ = run(ALL_KINDS, Press("c", "ok", "no"), state=state)
    assert state.phase is Phase.REVIEW


def test_back_from_the_first_step_stays() -> None:
    state, replies = run(ALL_KINDS, Begin(), Press("b", "pick"))
    assert state.step == "pick"
    assert "first question" in texts(replies)


def test_skip_on_a_required_step_is_refused_and_allowed_where_skippable() -> None:
    state, replies = run(ALL_KINDS, Begin(), Press("s", "pick"))
    assert state.step == "pick"
    assert "needs an answer" in texts(replies)
    state, _ = run(ALL_KINDS, Press("c", "pick", "no"), Press("s", "why"), state=state)
    assert state.answers["why"] == ""
    assert state.step == "rate"


def test_edit_from_review_returns_to_review() -> None:
    state, _ = run(
        ALL_KINDS,
        Begin(),
        Press("c", "pick", "yes"),
        Press("c", "rate", "2"),
        Press("c", "ok", "yes"),
    )
    assert state.phase is Phase.REVIEW
    state, _ = run(ALL_KINDS, Press("e", "rate"), state=state)
    assert (state.phase, state.step, state.editing) == (Phase.ASKING, "rate", True)
    state, _ = run(ALL_KINDS, Press("c", "rate", "5"), state=state)
    assert state.phase is Phase.REVIEW
    assert state.answers["rate"] == "5"
    state, _ = run(ALL_KINDS, Press("k", "review"), state=state)
    assert state.phase is Phase.DONE


def test_back_while_editing_returns_to_review_unchanged() -> None:
    state, _ = run(
        ALL_KINDS,
        Begin(),
        Press("c", "pick", "yes"),
        Press("c", "rate", "2"),
        Press("c", "ok", "yes"),
        Press("e", "rate"),
        Press("b", "rate"),
    )
    assert state.phase is Phase.REVIEW
    assert state.answers["rate"] == "2"


def test_stale_press_changes_nothing() -> None:
    state, _ = run(ALL_KINDS, Begin(), Press("c", "pick", "yes"))
    after, replies = run(ALL_KINDS, Press("c", "pick", "no"), state=state)
    assert after == state
    assert replies == [ClearButtons(stale=STRINGS.plain("flow.stale"))]


def test_not_text_during_a_text_step_keeps_the_step() -> None:
    state, _ = run(ALL_KINDS, Begin(), Press("c", "pick", "no"), Text("abc"))
    after, replies = run(ALL_KINDS, NotText(), state=state)
    assert after == state
    assert "only keep text" in texts(replies)


def test_state_survives_a_json_round_trip() -> None:
    state, _ = run(ALL_KINDS, Begin(), Press("c", "pick", "no"), Text("שלום 🌱 <b>"))
    assert FlowState.from_json(state.to_json()) == state


def test_show_answers_lists_each_with_an_edit_button() -> None:
    state, _ = run(REFLECTION, Begin(), Press("c", "q1", "partly"))
    _, replies = run(REFLECTION, ShowAnswers(), state=state)
    review = replies[0]
    assert isinstance(review, Reply)
    assert "Partly" in review.html
    labels = [b.label for row in review.buttons for b in row]
    assert "✏️ 1 · Recognise the problem?" in labels


STEP_IDS = [s.id for s in REFLECTION.steps] + ["review", "nope", ""]
events = st.one_of(
    st.builds(Begin, st.sampled_from(["", *STEP_IDS])),
    st.builds(Text, st.text(max_size=50)),
    st.just(NotText()),
    st.just(ShowAnswers()),
    st.builds(
        Press,
        st.sampled_from(["c", "d", "b", "s", "e", "k", "g", "x"]),
        st.sampled_from(STEP_IDS),
        st.sampled_from(["yes", "no", "partly", "positive", "3", "", "zzz"]),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(events, max_size=40))
def test_random_events_never_crash_and_never_lose_an_answer(sequence: list[Event]) -> None:
    state = FlowState(REFLECTION.id)
    for event in sequence:
        after, replies = advance(REFLECTION, state, event, STRINGS)
        assert replies, f"no answer to {event}"
        assert set(state.answers) <= set(after.answers), f"{event} lost an answer"
        for step, value in state.answers.items():
            if after.answers[step] != value:
                assert state.step == step  # only the question being answered may change
        assert FlowState.from_json(after.to_json()) == after
        state = after


def test_an_edit_mid_flow_goes_on_to_the_questions_not_yet_asked() -> None:
    state, _ = run(REFLECTION, Begin(), Press("c", "q1", "yes"), Press("e", "q1"))
    state, _ = run(REFLECTION, Press("c", "q1", "no"), state=state)
    assert state.phase is Phase.ASKING
    assert state.step == "q1why"  # never asked yet: no review with questions left out


def test_reflecting_on_the_last_part_pauses_instead_of_reviewing() -> None:
    state, _ = run(REFLECTION, Begin(step="q5"), Text("My last words"), Press("d", "q5"))
    assert state.paused
    assert state.phase is Phase.ASKING
    assert state.step == "q1"


def test_edit_after_confirming_then_back_returns_to_done() -> None:
    state, _ = run(
        ALL_KINDS,
        Begin(),
        Press("c", "pick", "yes"),
        Press("c", "rate", "2"),
        Press("c", "ok", "yes"),
        Press("k", "review"),
        Press("e", "rate"),
        Press("b", "rate"),
    )
    assert state.phase is Phase.DONE
    assert not state.listening


def test_edit_after_confirming_applies_and_stays_done() -> None:
    state, _ = run(
        ALL_KINDS,
        Begin(),
        Press("c", "pick", "yes"),
        Press("c", "rate", "2"),
        Press("c", "ok", "yes"),
        Press("k", "review"),
        Press("e", "rate"),
        Press("c", "rate", "4"),
    )
    assert state.phase is Phase.DONE
    assert state.answers["rate"] == "4"


def test_done_on_a_prefilled_one_message_answer_checks_it() -> None:
    registration = CONTENT.flows["registration"]
    too_long = FlowState(registration.id, answers={"name": "x" * 150})
    state, replies = run(registration, Begin(), Press("d", "name"), state=too_long)
    assert state.step == "name"
    assert "50 over the limit of 100. Please cut 50" in texts(replies)


WITH_ACTION = replace(ALL_KINDS, review_actions=(("test", "broadcast.test"),))
AT_REVIEW = (Begin(), Press("c", "pick", "yes"), Press("c", "rate", "2"), Press("c", "ok", "yes"))


def test_review_action_is_offered_at_the_review_and_leaves_it_as_it_is() -> None:
    state, replies = run(WITH_ACTION, *AT_REVIEW)
    [review] = [r for r in replies if isinstance(r, Reply)]
    data = [b.data for row in review.buttons for b in row]
    assert "f:kd:a:review:test" in data
    after, replies = run(WITH_ACTION, Press("a", "review", "test"), state=state)
    assert after == state
    assert review_action(WITH_ACTION, state, Press("a", "review", "test")) == "test"
    assert replies == [ClearButtons(), review]


def test_review_action_outside_the_review_or_undeclared_is_stale() -> None:
    stale = [ClearButtons(stale=STRINGS.plain("flow.stale"))]
    state, _ = run(WITH_ACTION, *AT_REVIEW)
    for event in (Press("a", "review", "nope"), Press("a", "review", "")):
        assert review_action(WITH_ACTION, state, event) == ""
        assert run(WITH_ACTION, event, state=state) == (state, stale)
    done, _ = run(WITH_ACTION, Press("k", "review"), state=state)
    asking, _ = run(WITH_ACTION, Begin())
    for earlier in (done, asking):
        assert review_action(WITH_ACTION, earlier, Press("a", "review", "test")) == ""
        assert run(WITH_ACTION, Press("a", "review", "test"), state=earlier) == (earlier, stale)
    assert review_action(ALL_KINDS, state, Press("a", "review", "test")) == ""


def test_a_typed_choice_in_any_flow_is_taken_by_label_or_number_else_named() -> None:
    registration = CONTENT.flows["registration"]
    at_knows = FlowState(registration.id, step="knows", started=True)
    state, _ = run(registration, Text("2"), state=at_knows)
    assert state.answers["knows"] == "practice"
    state, _ = run(registration, Text("  both!! "), state=at_knows)
    assert state.answers["knows"] == "both"
    # No written follow-up and nothing written later: the buttons are named, nothing kept.
    state, replies = run(registration, Text("From my daily practice, mostly"), state=at_knows)
    assert state == at_knows
    assert "From interest, From daily practice or Both" in texts(replies)
    assert "kept" not in texts(replies)
