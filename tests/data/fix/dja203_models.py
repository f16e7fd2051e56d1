"""Profile views writing model instances, fixed to asave/adelete/arefresh_from_db."""
# fixture: select=DJA201,DJA202,DJA203,DJA207
# fixture: declined=marked
from django import forms
from django.db import models
from django.http import JsonResponse


class Profile(models.Model):
    bio = models.TextField()
    visits = models.IntegerField(default=0)

    def save(self, *args, notify=False, **kwargs):
        super().save(*args, **kwargs)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["bio"]


async def update_profile(request, pk):
    profile = await Profile.objects.aget(pk=pk)
    profile.visits += 1
    profile.save(update_fields=["visits"])  # count the visit
    profile.refresh_from_db(fields=["bio"])
    profile.save(notify=True)  # a parameter asave() does not take: no fix
    stale = await Profile.objects.filter(visits=0).afirst()
    if stale is not None:
        stale.delete()
    form = ProfileForm(request.POST, instance=profile)
    if form.is_valid():
        form.save()  # ModelForm.save has no async twin: no fix
    return JsonResponse({"visits": profile.visits, "saved": profile.save() is None})


async def reset_visits(request):
    profile = await Profile.objects.aget(pk=request.GET["pk"])
    profile.visits = 0
    results = [profile.save() for _ in range(1)]
    return JsonResponse({"n": len(results)})
