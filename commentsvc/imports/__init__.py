"""Moving a blog's comments in (WordPress, Disqus, Isso, this service's own export) and out."""
