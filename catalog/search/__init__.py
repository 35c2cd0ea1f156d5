"""Catalog search (ADR 0015): the same analysis of text on both databases, and each
database's own full-text index for matching and ranking.

`text` turns titles and queries into words and stems, `spelling` corrects words no product
uses, `query` turns what a shopper typed into a plan (synonyms, corrections, fallbacks),
`index` keeps one search document per product current, `backends` matches a plan with
PostgreSQL's weighted tsvector (GIN index) or SQLite's FTS5.
"""
