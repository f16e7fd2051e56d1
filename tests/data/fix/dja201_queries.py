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
    article = Article.objects.get(pk=pk)  # the one asked for
    title = Article.objects.filter(pk=pk).first().title
    total = Article.objects.filter(author=Author.objects.get(name="ann")).count()
    latest = await Article.objects.latest("id")  # awaited by mistake: awaits an instance
    visible = Article.objects.filter(
        published=True,  # only the published ones
    ).exclude(
        title="",
    ).exists()
    article.tags.add(Tag.objects.create(name="new"))
    article.tags.create(name="other")
    Article.objects.filter(published=False).update(published=True)
    Article.objects.filter(title="").delete()
    return JsonResponse({"title": title, "total": total, "latest": latest.pk, "visible": visible})


async def export_titles(request):
    titles = []
    for article in Article.objects.filter(published=True).iterator(chunk_size=500):
        titles.append(article.title)
    ids = list(Article.objects.values_list("id", flat=True).iterator())
    count = sum(1 for _ in Article.objects.iterator())  # a generator expression: no fix
    return JsonResponse({"titles": titles, "ids": ids, "count": count})


async def lambda_and_nested(request):
    def count_sync():
        return Article.objects.count()  # a sync def: not flagged here

    pick = lambda: Article.objects.first()  # a lambda body: not on the loop
    picked = [Article.objects.get(pk=i) for i in (1, 2) if Article.objects.filter(pk=i).exists()]
    groups = [[Article.objects.get(pk=i) for i in ids] for ids in ([1], [2])]  # nested comprehension: no fix
    return JsonResponse({"n": len(groups) + len(picked), "f": str(pick), "c": str(count_sync)})
