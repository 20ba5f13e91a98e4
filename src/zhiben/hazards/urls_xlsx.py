app_name = "hazards_xlsx"
urlpatterns: list = []
