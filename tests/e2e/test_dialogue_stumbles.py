"""What people stumbled on in the dialogue (issue 18): typed choices, long answers,
the review in full, the last part of the course, and /mydata in words."""

from __future__ import annotations

import json

from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from bot.sandbox.records import SimFile
from store import answers

WHY = "Partly, because our team never shares what it learns. " + "We meet, we nod. " * 30


async def latest(tg: Sandbox, person: Person) -> dict[str, str]:
    found = await answers.latest(tg.store, person.user.id, "reflection")
    return {step: answer.value for step, answer in found.items()}


async def test_typed_choices_are_taken_or_kept_and_long_answers_come_back_whole(
    tg: Sandbox,
) -> None:
    ann = tg.person("Ann")
    ann.send("/reflect")
    await ann.expect("1/5")
    # A choice typed with its reason: the choice is taken, the words start the "why".
    ann.send(WHY)
    await ann.expect("Taken as Partly ✓")
    why = await ann.expect("What do you recognise")
    assert f"You have written {len(WHY)} characters" in why.shown_text
    ann.press("Done ✓", why)
    await ann.expect("2/5")
    ann.send("3")  # the third button: No
    await ann.expect("Why (or why not)?")
    ann.press("Skip ▶")
    await ann.expect("3/5")
    # Words that name no choice: the buttons are named, the words kept for later.
    ann.send("We tried something like it in 2019.")
    pointer = await ann.expect("Please tap one of the buttons")
    assert "👍 Convincing, 🤔 Mixed or 👎 Not convinced" in pointer.shown_text
    assert "I kept what you wrote (35 characters)" in pointer.shown_text
    await ann.expect("3/5")
    ann.send("mixed!")
    kept = await ann.expect("What makes you think so?")
    assert "You have written 35 characters" in kept.shown_text
    ann.send("It depends on the manager.")
    await ann.expect("Noted ✓")
    ann.press("Done ✓")
    await ann.expect("4/5")
    # Over the limit: the count to cut, and the whole text back (not only the last part).
    first, second = "a" * 2000, "b" * 1500
    ann.send(first)
    await ann.expect("Noted ✓ (2000 characters)")
    ann.send(second)
    refusal = await ann.expect("3,501 characters: 501 over the limit of 3,000. Please cut 501")
    echo = await ann.expect(first[:100])
    assert echo.shown_text == f"{first}\n{second}"
    assert refusal.message_id < echo.message_id
    # Longer than one message: the whole text comes as a file.
    ann.send("c" * 2900)
    await ann.expect("Noted ✓ (2900 characters)")
    ann.send("d" * 3000)
    await ann.expect("5,901 characters: 2,901 over the limit of 3,000. Please cut 2,901")
    await ann.world.wait_for(lambda: _document(ann) is not None, 10)
    document = _document(ann)
    assert document is not None
    assert document.data.decode() == f"{'c' * 2900}\n{'d' * 3000}"
    ann.send("Interview teams on the job.")  # the refused text is not kept as a draft
    await ann.expect("Noted ✓ (27 characters)")
    ann.press("Done ✓")
    await ann.expect("5/5")
    ann.press("Skip ▶")
    review = await ann.expect("Your answers")
    assert WHY.strip() in review.shown_text  # in full, not cut at 300 characters
    assert "then confirm" in review.shown_text
    ann.press("✅ Confirm", review)
    await ann.expect("Thank you! Your reflections are saved")
    assert await latest(tg, ann) == {
        "q1": "partly",
        "q1why": WHY,
        "q2": "no",
        "q2why": "",
        "q3": "mixed",
        "q3why": "We tried something like it in 2019.\nIt depends on the manager.",
        "q4": "Interview teams on the job.",
        "q5": "",
    }
    ann.send("/myanswers")
    mine = await ann.expect("Your answers")
    assert "tap ✏️ to change one" in mine.shown_text
    assert "confirm" not in mine.shown_text


def _document(person: Person) -> SimFile | None:
    return next((m.document for m in person.bot_messages() if m.document is not None), None)


async def test_the_last_part_goes_on_to_the_questions_and_mydata_says_what_is_held(
    tg: Sandbox,
) -> None:
    bea = tg.person("Bea", username="bea_learns")
    bea.send("/sections")
    bea.press("○ 4. What?", await bea.expect("parts"))
    card = await bea.expect("Part 4 of 4")
    while "💬 Reflect on this now" not in card.button_labels:
        assert "2022" not in card.shown_text
        bea.press("Next ▶", card)
        card = await bea.expect()
    assert "2022" not in card.shown_text
    bea.press("💬 Reflect on this now", card)
    await bea.expect("4/5")
    bea.send("Shadow people for a day.")
    await bea.expect("Noted ✓")
    bea.press("Done ✓")
    # After the last part there is no course to continue: the last question follows.
    q5 = await bea.expect("5/5")
    assert "📖 Continue the course" not in "".join(m.shown_text for m in bea.bot_messages())
    assert all("📖 Continue the course" not in m.button_labels for m in bea.bot_messages())
    assert q5.button_labels
    bea.send("/mydata")
    summary = await bea.expect("What I hold about you")
    for line in (
        "Name: Bea (@bea_learns)",
        "Language: English",
        "Course: 1 of 4 parts read",
        "Reflections: 1 of 5 questions answered",
        "Registration: none",
        "MOOC login code: no",
        "Course reminders: yes",
    ):
        assert line in summary.shown_text
    await bea.world.wait_for(lambda: _document(bea) is not None, 10)
    document = _document(bea)
    assert document is not None
    assert document.name == "mydata.json"
    held = json.loads(document.data)
    assert held["telegram_id"] == bea.user.id


async def test_a_typed_answer_takes_the_buttons_off_the_prompt_it_answered(tg: Sandbox) -> None:
    cas = tg.person("Cas")
    cas.send("/reflect")
    q1 = await cas.expect("1/5")
    cas.press("Partly", q1)
    why = await cas.expect("What do you recognise")
    assert {"◀ Back", "Skip ▶"} <= set(why.button_labels)
    # Typed at the text step: the question's Skip and Back go, the new Done is there.
    cas.send("Our team never shares what it learns.")
    noted = await cas.expect("Noted ✓")
    assert why.buttons == []
    assert noted.button_labels == ["Done ✓"]
    # More of the same answer: only the newest Done can be pressed.
    cas.send("We meet, we nod.")
    more = await cas.expect("Noted ✓")
    assert noted.buttons == []
    assert more.button_labels == ["Done ✓"]
    cas.press("Done ✓", more)
    q2 = await cas.expect("2/5")
    assert {"Yes", "Partly", "No"} <= set(q2.button_labels)
    # A choice typed instead of tapped answers its prompt too.
    cas.send("yes")
    q2why = await cas.expect("Why (or why not)?")
    assert q2.buttons == []
    assert {"◀ Back", "Skip ▶"} <= set(q2why.button_labels)
    assert await latest(tg, cas) == {
        "q1": "partly",
        "q1why": "Our team never shares what it learns.\nWe meet, we nod.",
        "q2": "yes",
    }
