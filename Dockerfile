FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md requirements-nodeps.txt ./
COPY intellisession ./intellisession
COPY clients ./clients
COPY transcription ./transcription
COPY notes ./notes
RUN pip install --no-cache-dir '.[s3]' && pip install --no-cache-dir --no-deps -r requirements-nodeps.txt
COPY . .
RUN useradd --create-home --uid 10001 app && mkdir -p /data && chown app /data
USER app
RUN python -m transcription.voice_weights
# Production settings need both secrets to load; these placeholders exist for this one step only.
RUN SECRET_KEY=build FIELD_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    DATABASE_URL=postgresql://x@localhost/x REDIS_URL=redis://localhost python manage.py collectstatic --noinput -v 0
EXPOSE 8000
CMD ["gunicorn", "intellisession.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
