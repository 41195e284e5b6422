FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN useradd --create-home --uid 1000 peacecase
# Pinned and hashed (requirements/production.txt, `make lock`): a changed or substituted package fails the build.
COPY requirements/production.txt ./requirements/production.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/production.txt
COPY pyproject.toml README.md ./
COPY peacecase ./peacecase
COPY apps ./apps
RUN pip install --no-cache-dir --no-deps .
COPY . .
RUN DJANGO_DEBUG=1 DATABASE_URL=postgres://x@localhost/x REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --no-input
USER peacecase
EXPOSE 8000
CMD ["gunicorn", "peacecase.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
