import fakeredis

from app.jobs import intake


def test_pause_and_resume_are_a_set_of_queue_names() -> None:
    redis = fakeredis.FakeRedis()
    assert intake.paused(redis) == set()
    intake.pause(redis, "compress")
    intake.pause(redis, "compress")
    intake.pause(redis, "webhooks")
    assert intake.paused(redis) == {"compress", "webhooks"}
    intake.resume(redis, "compress")
    intake.resume(redis, "segments")  # not paused: nothing to do
    assert intake.paused(redis) == {"webhooks"}
