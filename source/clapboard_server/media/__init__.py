"""Media for review: encoding with ffmpeg, thumbnails, and signed links to component data.

- :mod:`.ffmpeg`: the ffmpeg binary, probing and transcoding with progress;
- :mod:`.encoding`: which outputs a source gets and the ffmpeg command making them;
- :mod:`.jobs`: the worker pool running ``encode_media`` Jobs;
- :mod:`.thumbnails`: images scaled to fit a size, cached per size;
- :mod:`.links`: signed URLs in ``thumbnail_url`` values;
- :mod:`.routes`: ``/component/thumbnail`` and ``/widget/<name>``.
"""
