FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN useradd --create-home --uid 1000 peacecase
COPY pyproject.toml README.md ./
COPY peacecase ./peacecase
COPY apps ./apps
RUN pip install --no-cache-dir .
COPY . .
RUN DJANGO_DEBUG=1 DATABASE_URL=postgres://x@localhost/x REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --no-input
USER peacecase
EXPOSE 8000
CMD ["gunicorn", "peacecase.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
