"""celonis-oauth-migrator: find static Celonis API keys and move code to OAuth."""

__version__ = "0.1.0"
