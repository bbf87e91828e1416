"""Signing up for the session: /register, the deep link, choosing a session, cancelling."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update

from bot.base.settings import SessionSettings
from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from bot.shell.handlers.flows import load_flow_state, run_flow
from flows.callback_data import decode, encode
from flows.menu import greeting
from flows.model import Begin, FlowState, Phase, Press
from flows.participant_data import AskCancel, CancelSeat, KeepSeat, PickSession
from flows.replies import Button, ClearButtons, Out, Reply
from flows.strings import Markup
from flows.when import short_date_time
from store import registrations
from store.registrations import Details

__all__ = [
    "cancel_button",
    "cancel_registration",
    "deep_link",
    "guard",
    "on_confirm",
    "pick_session",
    "start_registration",
]

REGISTRATION = "registration"


async def _start(update: Update, context: BotContext, session: SessionSettings) -> None:
    participant = context.participant
    assert participant is not None
    flow = context.content.flows[REGISTRATION]
    if await registrations.live(context.store, participant.telegram_id):
        # One registration per person: show it (with ✏️ to change) instead of a second one.
        await run_flow(update, context, flow, Begin())
        return
    state = await load_flow_state(context, flow)
    first: tuple[Out, ...] = (ClearButtons(),) if update.callback_query else ()
    seats = await context.desk.seats(session)
    if seats.full:
        # Before the form, not after it: six questions only to hear "waitlist" would sting.
        title = session.title_in(context.strings.language)
        notice = context.strings(
            "registration.full_notice", title=title, position=seats.waiting + 1
        )
        first = (*first, Reply(notice))
    if state.phase is Phase.DONE:
        # Signed up before and cancelled since: their details are ready for a new confirm.
        state = replace(state, phase=Phase.REVIEW, step="", extra={"session": session.id})
    elif not state.started:
        name = " ".join(p for p in (participant.first_name, participant.last_name) if p)
        state = FlowState(flow.id, answers={"name": name}, extra={"session": session.id})
    else:
        state = replace(state, extra={"session": session.id})
    await run_flow(update, context, flow, Begin(), state=state, first=first)


async def start_registration(update: Update, context: BotContext) -> None:
    """Starts the sign-up, shows the details of an existing one, or says why it can't."""
    participant = context.participant
    assert participant is not None
    desk = context.desk
    now = context.clock.now()
    live = await registrations.live(context.store, participant.telegram_id)
    flow = context.content.flows[REGISTRATION]
    if live:
        await run_flow(update, context, flow, Begin())
        return
    open_sessions = desk.open_sessions(now)
    strings = context.strings
    if not open_sessions:
        closed = [
            strings("registration.closed", title=s.title_in(strings.language))
            for s in context.settings.sessions
        ]
        await respond(
            update, context, [Reply(m) for m in closed or [strings("registration.none_open")]]
        )
        return
    if len(open_sessions) == 1:
        await _start(update, context, open_sessions[0])
        return
    lines = [strings("registration.pick_session")]
    for s in open_sessions:
        seats = (await desk.seats(s)).line(strings)
        title = s.title_in(strings.language)
        when = Markup(desk.when(s, strings))
        lines.append(strings("registration.pick_line", title=title, when=when, seats=seats))
    buttons = tuple((_session_button(context, s),) for s in open_sessions)
    await respond(update, context, [Reply("\n\n".join(lines), buttons)])


def _session_button(context: BotContext, session: SessionSettings) -> Button:
    strings = context.strings
    date = short_date_time(session.starts_at, session.zone, strings)
    label = strings.plain("registration.pick_button").format(
        title=session.title_in(strings.language), date=date
    )
    return Button(label, encode(PickSession(session.id)))


async def deep_link(update: Update, context: BotContext) -> None:
    """t.me/<bot>?start=register: the greeting (no menu) for newcomers, then straight to sign-up."""
    participant = context.participant
    assert participant is not None
    if context.participant_is_new:
        await respond(update, context, [greeting(context.strings, participant.first_name)])
    await start_registration(update, context)


async def pick_session(update: Update, context: BotContext) -> None:
    """The participant chose a session (`reg:s:`), or its waitlist over the others (`reg:w:`)."""
    query = update.callback_query
    assert query is not None
    pressed = decode(query.data or "")
    desk = context.desk
    strings = context.strings
    now = context.clock.now()
    session = desk.session(pressed.session) if isinstance(pressed, PickSession) else None
    if session is None or not session.is_open(now):
        title = session.title_in(strings.language) if session else "?"
        await respond(
            update, context, [ClearButtons(), Reply(strings("registration.closed", title=title))]
        )
        return
    seats = await desk.seats(session)
    roomy = [
        s for s in desk.open_sessions(now) if s.id != session.id and not (await desk.seats(s)).full
    ]
    waitlist = isinstance(pressed, PickSession) and pressed.waitlist
    if waitlist or not seats.full or not roomy:
        await _start(update, context, session)
        return
    # Full, but others have room: offer them first; the waitlist stays one tap away.
    text = strings(
        "registration.full_offer",
        title=session.title_in(strings.language),
        position=seats.waiting + 1,
    )
    wait = Button(
        strings.plain("registration.waitlist_button"),
        encode(PickSession(session.id, waitlist=True)),
    )
    buttons = (*((_session_button(context, s),) for s in roomy), (wait,))
    await respond(update, context, [ClearButtons(), Reply(text, buttons)])


def _session_of(context: BotContext, state: FlowState) -> SessionSettings | None:
    return context.desk.session(state.extra.get("session", ""))


async def guard(update: Update, context: BotContext, press: Press) -> bool:
    """No confirming or editing once the session's registration has closed."""
    flow = context.content.flows[REGISTRATION]
    session = _session_of(context, await load_flow_state(context, flow))
    if press.action in ("k", "e") and (session is None or not session.is_open(context.clock.now())):
        title = session.title_in(context.strings.language) if session else "?"
        await respond(update, context, [Reply(context.strings("registration.closed", title=title))])
        return False
    return True


async def on_confirm(update: Update, context: BotContext, after: FlowState) -> list[Out]:
    """On Confirm: register (or update the details); the confirmation is the answer."""
    participant = context.participant
    session = _session_of(context, after)
    assert participant is not None
    if session is None:
        return []
    answers = after.answers
    details = Details(
        name=answers.get("name", ""),
        email=answers.get("email", ""),
        organisation=answers.get("org", ""),
        role=answers.get("role", ""),
        knows=answers.get("knows", ""),
    )
    replies = await context.desk.register(participant, session, details, context.clock.now())
    if update.callback_query is None or not replies or not isinstance(replies[0], Reply):
        return replies
    # The confirmation (or the waitlist notice) replaces the card whose Confirm was
    # pressed: an edit done twice shows once, so even a crash right after Telegram took
    # it, before the bot could record that, never confirms anybody twice.
    first = replies[0]
    return [Reply(first.html, first.buttons, edit=True), *replies[1:]]


async def cancel_registration(update: Update, context: BotContext) -> None:
    """Asks to confirm the cancellation of the participant's registration."""
    participant = context.participant
    assert participant is not None
    live = await registrations.live(context.store, participant.telegram_id)
    session = context.desk.session(live[0].session_id) if live else None
    strings = context.strings
    if session is None:
        await respond(update, context, [Reply(strings("registration.not_registered"))])
        return
    buttons = (
        (Button(strings.plain("registration.cancel_yes"), encode(CancelSeat(session.id))),),
        (Button(strings.plain("registration.cancel_no"), encode(KeepSeat())),),
    )
    text = strings("registration.cancel_confirm", title=session.title_in(strings.language))
    await respond(update, context, [Reply(text, buttons)])


async def cancel_button(update: Update, context: BotContext) -> None:
    """Asks 'Cancel your place?' from a reminder's "Can't make it" (`reg:c:`), then cancels
    (`reg:x:`: the waitlist moves up, the calendar event is cancelled) or keeps it."""
    query = update.callback_query
    participant = context.participant
    assert query is not None
    assert participant is not None
    strings = context.strings
    desk = context.desk
    pressed = decode(query.data or "")
    now = context.clock.now()
    stale = ClearButtons(stale=strings.plain("registration.cancel_stale"))
    if isinstance(pressed, KeepSeat):
        await respond(update, context, [ClearButtons(), Reply(strings("registration.kept"))])
        return
    if isinstance(pressed, AskCancel):
        seat = await desk.seat(participant.telegram_id, pressed.session)
        if seat is None or now >= seat[0].starts_at:
            await respond(update, context, [stale])  # cancelled already, or an old reminder
            return
        seated = seat[0]
        buttons = (
            (Button(strings.plain("registration.cancel_yes"), encode(CancelSeat(seated.id))),),
            (Button(strings.plain("registration.cancel_no"), encode(KeepSeat())),),
        )
        text = strings("registration.cancel_confirm", title=seated.title_in(strings.language))
        await respond(update, context, [Reply(text, buttons)])
        return
    session = desk.session(pressed.session) if isinstance(pressed, CancelSeat) else None
    if session is None or not await desk.cancel(participant, session, now):
        await respond(update, context, [stale])  # a double tap, or cancelled meanwhile
        return
    ics = await desk.cancellation(participant, session, now)
    cancelled = Reply(strings("registration.cancelled"))
    await respond(update, context, [ClearButtons(), cancelled, ics])
