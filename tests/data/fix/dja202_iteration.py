"""Feed views iterating QuerySets synchronously, fixed to async iteration."""
# fixture: select=DJA201,DJA202,DJA203,DJA207
# fixture: declined=marked
from django.db import models
from django.http import JsonResponse


class Entry(models.Model):
    headline = models.CharField(max_length=200)
    rating = models.IntegerField(default=0)


class BlogPost(models.Model):
    title = models.CharField(max_length=200)


async def feed(request):
    entries = Entry.objects.filter(rating__gte=3)
    headlines = []
    for entry in entries:  # every good entry
        headlines.append(entry.headline)
    else:
        headlines.append("-")
    ratings = {e.pk: e.rating for e in Entry.objects.all()}
    unique = {e.rating for e in entries if e.rating}
    titles = [
        post.title
        for post in BlogPost.objects.order_by("title")  # alphabetical
    ]
    rows = list(Entry.objects.values("id", "headline"))
    return JsonResponse({"h": headlines, "r": ratings, "u": sorted(unique), "t": titles, "rows": rows})


async def names_taken(request):
    entry = "kept"
    obj = "kept too"
    everything = list(Entry.objects.all())
    posts = list((BlogPost.objects.all()))
    return JsonResponse({"entry": entry, "obj": obj, "n": len(everything), "p": len(posts)})


async def not_fixed(request):
    qs = Entry.objects.all()
    total = len(qs)  # acount() is another query: no fix
    if qs:  # aexists() is another query: no fix
        total += 1
    first = qs[0]  # no fix
    lazy = (e.headline for e in qs)  # a generator expression: no fix
    pairs = [[e.pk for e in qs] for _ in range(2)]  # nested comprehension: no fix
    best = sorted(qs, key=lambda e: e.rating)  # no fix
    everything = list(
        qs  # every entry: a comment the rewrite would lose, so no fix
    )
    return JsonResponse({"t": total, "f": first.pk, "l": list(lazy), "p": pairs, "b": best, "e": everything})


def sync_report():
    for entry in Entry.objects.all():  # sync code: not flagged
        print(entry)
