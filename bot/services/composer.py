"""The broadcast composer's flow, shaped by the settings: audiences and language steps."""

from __future__ import annotations

from dataclasses import replace

from bot.base.settings import Settings
from bot.services import audiences
from flows.content import Content
from flows.model import Step

__all__ = ["with_session_audiences"]


def with_session_audiences(content: Content, settings: Settings) -> Content:
    """The broadcast composer offers, beside the audiences its flow lists, those of the
    registry (bot/services/audiences.py) that follow the settings and the content: one
    per configured session, those by progress; after the
    message, it asks for the message in each other language the bot speaks
    (`message_<code>`, skippable: they get the default one)."""
    flow = content.flows.get("broadcast")
    audience = flow.step("audience") if flow is not None else None
    if flow is None or audience is None:
        return content
    # Those its flow file cannot list (they follow the settings and the content); the
    # basic ones are the file's to choose.
    offered = {
        name: label
        for name, label in audiences.offered(content, settings).items()
        if audiences.group_of(name) is not audiences.Group.BASIC
    }
    extra = [name for name in offered if name not in audience.options]
    labels = {name: label for name, label in offered.items() if label}
    step = replace(audience, options=(*audience.options, *extra))
    strings = content.strings(content.default_language)
    steps: tuple[Step, ...] = ()
    for each in flow.steps:
        steps += (step,) if each.id == "audience" else (each,)
        if each.id != "message":
            continue
        for code in content.languages:
            key = f"broadcast.message_{code}"
            if code != content.default_language and strings.has(key):
                version = replace(each, id=f"message_{code}", prompt=key, label=f"{key}_label")
                steps += (replace(version, skippable=True),)
    richer = replace(flow, steps=steps, labels={**flow.labels, **labels})
    return replace(content, flows={**content.flows, "broadcast": richer})
