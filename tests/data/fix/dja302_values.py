"""Permission checks whose coroutines were tested and printed without `await`."""
import json
import logging

from asgiref.sync import sync_to_async


async def is_allowed(user, action):
    return user is not None and action != "delete"


@sync_to_async
def display_name(user):
    return str(user)


async def edit(request, user, actions):
    if is_allowed(user, "edit"):  # the comment stays
        logging.info(display_name(user))
    while not is_allowed(user, "view") and actions:
        actions.pop()
    allowed = [a for a in actions if is_allowed(user, a)]
    title = f"{display_name(user)!r}: {len(allowed)}"
    any_allowed = any(a for a in actions if is_allowed(user, a))  # lazy: no `await` here
    return json.dumps({"title": title, "label": "yes" if (is_allowed(user, "x")) else "no", "any": any_allowed})


def sync_check(user):
    return bool(is_allowed(user, "edit"))  # sync code: reported, but `await` is not possible here
