#The ecosystem as the server runs it(app_ecosystem.h) : indexes, workers and every domain's
#routes assembled over one database.
target_sources(qwl_server PRIVATE ${CMAKE_CURRENT_LIST_DIR} / app_ecosystem.cpp)
