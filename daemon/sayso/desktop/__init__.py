"""The desktop: session, clipboard, selection, typing/paste output, X11, notifications, feedback,
keys and portals. Imports only sayso.core and sayso.audio."""
