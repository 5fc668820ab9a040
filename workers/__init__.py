"""Background jobs. They import commentsvc; commentsvc names them by dotted path only."""
