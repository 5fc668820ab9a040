"""Moving a site's comments out: this service's own JSON format (which ``commentsvc import json``
reads back with nothing lost) and WordPress's WXR.

Both writers are generators of text chunks read from the database in batches, so the CLI writes
them to a file and the operators' page streams them as a download with the same code, and
neither holds a whole site in memory.
"""
