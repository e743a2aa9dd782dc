"""The coach's live view shared by the dashboard, the JSON API and ``crampwatch watch``."""
