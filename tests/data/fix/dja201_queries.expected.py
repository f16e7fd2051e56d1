"""Article views: the sync ORM in async views, fixed to the async twins."""
# fixture: select=DJA201,DJA202,DJA203,DJA207
# fixture: declined=marked
from django.db import models
from django.http import JsonResponse


class Author(models.Model):
    name = models.CharField(max_length=100)


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Article(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="articles")
    tags = models.ManyToManyField(Tag)
    title = models.CharField(max_length=200)
    published = models.BooleanField(default=False)


async def article_detail(request, pk):
    article = await Article.objects.aget(pk=pk)  # the one asked for
    title = (await Article.objects.filter(pk=pk).afirst()).title
    total = await Article.objects.filter(author=await Author.objects.aget(name="ann")).acount()
    latest = await Article.objects.alatest("id")  # awaited by mistake: awaits an instance
    visible = await Article.objects.filter(
        published=True,  # only the published ones
    ).exclude(
        title="",
    ).aexists()
    await article.tags.aadd(await Tag.objects.acreate(name="new"))
    await article.tags.acreate(name="other")
    await Article.objects.filter(published=False).aupdate(published=True)
    await Article.objects.filter(title="").adelete()
    return JsonResponse({"title": title, "total": total, "latest": latest.pk, "visible": visible})


async def export_titles(request):
    titles = []
    async for article in Article.objects.filter(published=True).aiterator(chunk_size=500):
        titles.append(article.title)
    ids = [obj async for obj in Article.objects.values_list("id", flat=True).aiterator()]
    count = sum(1 for _ in Article.objects.iterator())  # a generator expression: no fix
    return JsonResponse({"titles": titles, "ids": ids, "count": count})


async def lambda_and_nested(request):
    def count_sync():
        return Article.objects.count()  # a sync def: not flagged here

    pick = lambda: Article.objects.first()  # a lambda body: not on the loop
    picked = [await Article.objects.aget(pk=i) for i in (1, 2) if await Article.objects.filter(pk=i).aexists()]
    groups = [[Article.objects.get(pk=i) for i in ids] for ids in ([1], [2])]  # nested comprehension: no fix
    return JsonResponse({"n": len(groups) + len(picked), "f": str(pick), "c": str(count_sync)})
