async def votes(poll):
    return [poll]
