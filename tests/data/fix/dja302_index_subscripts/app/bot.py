# fixture: declined=marked
"""A coroutine function of another module, its coroutine indexed."""
from app.polls import votes


async def never_awaited(poll):
    return votes(poll)[0]


async def misplaced(poll):
    return await votes(poll)[0]  # no fix: the await is there, on the wrong node (fixed in the file's own module)
