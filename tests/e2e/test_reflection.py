"""The five reflection questions as a dialogue, driven over HTTP as in Telegram."""

from __future__ import annotations

from datetime import timedelta

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from store import answers

TRICKY = "It's 🌱 <b>partly</b> & שלום עולם — مرحبا\n  indented line"


async def latest(tg: Sandbox, person: Person) -> dict[str, str]:
    found = await answers.latest(tg.store, person.user.id, "reflection")
    return {step: answer.value for step, answer in found.items()}


async def answer_text(person: Person, *messages: str) -> None:
    for message in messages:
        person.send(message)
        await person.expect("Noted ✓")
    person.press("Done ✓")


async def test_participant_answers_all_five_edits_from_review_and_confirms(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/reflect")
    await ann.expect("Five questions")
    q1 = await ann.expect("1/5 · Do you recognise the problem?")
    assert "Part 1, Introduction" in q1.shown_text
    assert q1.button_labels == ["Yes", "Partly", "No"]
    ann.press("Partly", q1)
    await ann.expect_edit(q1)
    assert q1.button_labels == []  # the answered question keeps no buttons
    await ann.expect("What do you recognise")
    await answer_text(ann, TRICKY, "A second message.")
    q2 = await ann.expect("2/5")
    ann.press("Yes", q2)
    await ann.expect("Why (or why not)?")
    ann.press("Skip ▶")
    q3 = await ann.expect("3/5")
    ann.press("👍 Convincing", q3)
    await ann.expect("What makes you think so?")
    await answer_text(ann, "Care first.")
    await ann.expect("4/5")
    await answer_text(ann, "Interview teams on the job.")
    await ann.expect("5/5")
    await answer_text(ann, "Keep it short.")
    review = await ann.expect("Your answers")
    assert "✅ Confirm" in review.button_labels
    ann.press("✏️ 1 · In your words", review)
    edit = await ann.expect("What do you recognise")
    assert "Your answer so far" in edit.shown_text
    await answer_text(ann, "Changed my mind.")
    review = await ann.expect("Your answers")
    assert "Changed my mind." in review.shown_text
    ann.press("✅ Confirm", review)
    await ann.expect("Thank you! Your reflections are saved")
    assert await latest(tg, ann) == {
        "q1": "partly",
        "q1why": "Changed my mind.",
        "q2": "yes",
        "q2why": "",
        "q3": "positive",
        "q3why": "Care first.",
        "q4": "Interview teams on the job.",
        "q5": "Keep it short.",
    }
    versions = await answers.history(tg.store, ann.user.id, "reflection", "q1why")
    assert [v.value for v in versions] == [f"{TRICKY}\nA second message.", "Changed my mind."]


async def test_answers_are_stored_byte_for_byte(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/reflect")
    ann.press("No", await ann.expect("1/5"))
    await ann.expect("What do you recognise")
    await answer_text(ann, TRICKY)
    await ann.expect("2/5")
    assert (await latest(tg, ann))["q1why"] == TRICKY
    ann.send("/myanswers")
    mine = await ann.expect("Your answers")
    assert "<b>partly</b> & שלום עולם" in mine.shown_text


async def test_back_returns_to_the_previous_question_and_first_has_no_back(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/reflect")
    q1 = await ann.expect("1/5")
    assert "◀ Back" not in q1.button_labels
    ann.press("Yes", q1)
    why = await ann.expect("What do you recognise")
    ann.press("◀ Back", why)
    again = await ann.expect("1/5")
    assert "Your answer so far: Yes" in again.shown_text
    ann.press_data(again, "f:rf:b:q1:")  # a forged Back on the first question
    await ann.expect("This is the first question")
    ann.press("No", again)
    await ann.expect("What do you recognise")
    assert (await latest(tg, ann))["q1"] == "no"


async def test_skip_on_a_required_question_is_refused(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/reflect")
    q1 = await ann.expect("1/5")
    ann.press_data(q1, "f:rf:s:q1:")
    await ann.expect("This question needs an answer")
    assert await latest(tg, ann) == {}


async def test_typing_the_label_of_a_choice_counts_as_pressing_it(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/reflect")
    await ann.expect("1/5")
    ann.send("partly")
    await ann.expect("What do you recognise")
    assert (await latest(tg, ann))["q1"] == "partly"


async def test_restart_mid_flow_resumes_at_the_same_step_with_earlier_answers(
    tg: Sandbox,
) -> None:
    ann = tg.person("Ann")
    ann.send("/reflect")
    ann.press("Yes", await ann.expect("1/5"))
    await ann.expect("What do you recognise")
    ann.send("First half of my answer.")
    await ann.expect("Noted ✓")
    await tg.stop_bot()
    ann.send("Second half, typed while the bot was down.")
    await tg.start_bot()
    await ann.expect("Noted ✓ (67 characters)")
    ann.press("Done ✓")
    await ann.expect("2/5")
    assert await latest(tg, ann) == {
        "q1": "yes",
        "q1why": "First half of my answer.\nSecond half, typed while the bot was down.",
    }
    await tg.stop_bot()
    await tg.start_bot()
    ann.send("/reflect")
    await ann.expect("2/5")


async def test_sticker_during_a_text_question_is_explained_and_the_step_stays(
    tg: Sandbox,
) -> None:
    ann = tg.person("Ann")
    ann.send("/reflect")
    ann.press("Yes", await ann.expect("1/5"))
    await ann.expect("What do you recognise")
    ann.send_sticker()
    await ann.expect("I can only keep text here")
    await answer_text(ann, "Now in words.")
    await ann.expect("2/5")


async def test_too_long_answer_is_refused_with_length_limit_and_echo(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/reflect")
    ann.press("Yes", await ann.expect("1/5"))
    await ann.expect("What do you recognise")
    essay = "✓ " + "word " * 999 + "end"  # 5,000 characters
    ann.send(essay)
    refusal = await ann.expect("over the limit of 3,000")
    assert "That is 5,000 characters: 2,000 over" in refusal.shown_text
    # Over 4096 characters: the whole text comes back as a file, not cut over messages.
    echoed = await ann.world.wait_for(
        lambda: next((m.document for m in ann.bot_messages() if m.document), None), 10
    )
    assert echoed.data.decode() == essay
    await answer_text(ann, "Shorter.")
    await ann.expect("2/5")
    assert (await latest(tg, ann))["q1why"] == "Shorter."


async def test_commands_mid_flow_work_and_the_flow_waits(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/reflect")
    ann.press("Yes", await ann.expect("1/5"))
    await ann.expect("What do you recognise")
    ann.send("/help")
    await ann.expect("What I can do")
    ann.send("/course")
    await ann.expect("Part 1 of 4")
    await answer_text(ann, "Back to my answer.")
    await ann.expect("2/5")
    ann.send("/start")
    await ann.expect("Welcome back")
    ann.send("/reflect")
    await ann.expect("2/5")


async def test_button_from_an_earlier_step_has_moved_on(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/reflect")
    q1 = await ann.expect("1/5")
    ann.press("Yes", q1)
    await ann.expect("What do you recognise")
    ann.press_data(q1, "f:rf:c:q1:no")  # the old question's button, pressed again
    await ann.expect_toast("This question has moved on")
    assert (await latest(tg, ann))["q1"] == "yes"


async def test_reflect_on_this_now_after_a_part_and_back_to_the_course(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/sections")
    ann.press("○ 3. How?", await ann.expect("0 of 4"))
    card = await ann.expect("Part 3 of 4")
    for _ in range(2):
        ann.press("Next ▶", card)
        card = await ann.expect()
    ann.press("💬 Reflect on this now", card)
    q3 = await ann.expect("3/5")
    ann.press("🤔 Mixed", q3)
    await ann.expect("What makes you think so?")
    await answer_text(ann, "Depends on the team.")
    pause = await ann.expect("Continue reading, or answer the next question now?")
    ann.press("📖 Continue the course", pause)
    await ann.expect("Part 4 of 4")
    ann.send("/reflect")
    await ann.expect("4/5")
    assert await latest(tg, ann) == {"q3": "mixed", "q3why": "Depends on the team."}


async def test_my_answers_edits_are_closed_after_registration_closes(
    tg: Sandbox, clock: ManualClock, settings: Settings
) -> None:
    ann = tg.person("Ann")
    ann.send("/myanswers")
    await ann.expect("You have not answered any questions yet")
    ann.send("/reflect")
    ann.press("Yes", await ann.expect("1/5"))
    await ann.expect("What do you recognise")
    ann.send("/myanswers")
    mine = await ann.expect("Your answers")
    closes = settings.sessions[0].registration_closes_at
    assert closes is not None
    clock.set(closes + timedelta(minutes=1))
    ann.press("✏️ 1 · Recognise the problem?", mine)
    await ann.expect("can no longer be changed")
