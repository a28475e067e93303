# The chat template golden tests render tests/chat/templates/qwenlayer-default.jinja against
# python3-jinja2; it must be the template the default model is trained and shipped with.
add_test(NAME training_template_is_the_golden_copy
         COMMAND ${CMAKE_COMMAND} -E compare_files ${PROJECT_SOURCE_DIR}/training/chat_template.jinja
                 ${PROJECT_SOURCE_DIR}/tests/chat/templates/qwenlayer-default.jinja)
set_tests_properties(training_template_is_the_golden_copy PROPERTIES LABELS "chat")
