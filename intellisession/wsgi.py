import os

from django.core.wsgi import get_wsgi_application

from intellisession import startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intellisession.settings")
# A server started by hand in development finds the embedded services as manage.py does;
# under scripts/run.py and in production the environment already names them.
startup.prepare_if_development()
application = get_wsgi_application()
