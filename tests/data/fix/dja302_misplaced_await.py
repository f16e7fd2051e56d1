# fixture: declined=marked
"""``await f()[0]`` awaits the index of the coroutine, not the coroutine:
the await moves onto the call."""


async def votes(poll):
    return [poll]


async def first_vote(poll):
    return await votes(poll)[0]


async def chosen(poll):
    choice = await votes(poll)[0]
    return choice


async def parenthesised(poll):
    return (await votes(poll)[-1])


async def never_awaited(poll):
    return votes(poll)[0]


async def counted(poll):
    return await votes(poll).count(poll)  # no fix: a method called on it, which may be the one to await
